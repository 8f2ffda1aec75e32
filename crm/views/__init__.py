"""Pages of the contact book, one module per topic."""
