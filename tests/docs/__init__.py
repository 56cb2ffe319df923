"""The docs stay true: their examples run, and their pages match the code and the tree."""
