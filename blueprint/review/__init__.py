"""The review workbook: the writer, its summary sheet, and the reader of the office's reviewed copy."""
