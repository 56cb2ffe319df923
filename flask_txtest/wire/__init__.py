"""The only code that sees statements: the listener, the savepoint state machine, the
classification of app statements, and the sequences reset around them."""
