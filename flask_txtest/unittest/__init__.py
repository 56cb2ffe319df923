"""The unittest glue: test cases, their lifecycle, the class transaction, assertions."""
