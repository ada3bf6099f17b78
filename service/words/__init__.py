"""The words: the message catalog, keyword tables, SMS segments and the content check.
Only the standard library, YAML and text tools."""
