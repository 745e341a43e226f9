"""Files and settings of the earlier county tool, for offices that compare or migrate."""
