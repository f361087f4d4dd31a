//! Parser for Python `str(dict)` text as StarCompactor writes PROPERTIES (helper fills this in).
