"""What several rules recognise in values: credentials and network addresses."""
