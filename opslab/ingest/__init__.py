"""Reading uploaded files: bytes -> raw table -> mapping -> validated canonical rows."""
