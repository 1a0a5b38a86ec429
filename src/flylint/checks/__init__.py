"""Rule logic, one module per rule family; ``rules/FLY*.toml`` names each rule's module.

A module serves a file kind by defining ``check_<kind>`` (``check_fly_toml``, ...), a
generator of Diagnostics for the rules it owns.
"""
