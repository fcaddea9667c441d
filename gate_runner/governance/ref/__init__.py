"""Policy read at a git ref: the files, the reader, both sides of a comparison, who judges."""
