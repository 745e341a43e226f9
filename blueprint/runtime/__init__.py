"""Speed machinery with no knowledge of the law: the Arrow allocator, forked workers and fast workbook rows."""
