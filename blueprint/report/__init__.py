"""A run's results as tables and a summary: the run folder, the summary page, and a finished run read back."""
