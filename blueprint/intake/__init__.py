"""Reading the input: DOJ columns, the readers, offense-text reading, repeated rows, the county check and the data-issues log."""
