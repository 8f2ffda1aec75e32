"""Forms of the contact book, one module per topic."""
