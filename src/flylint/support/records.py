"""``Record``: the base of flylint's small value records (a span, a finding, a rule).

A record behaves like a NamedTuple: compared, hashed, ordered, unpacked and shown by its
field values, in the order of its ``__init__`` parameters. It is not one because
``typing.NamedTuple`` compiles every field's annotation string and evaluates a template
per class: 0.1-0.3 ms a class, and every run defines dozens before it reads a file (~6 ms
of a 60 ms one-file run). A record class costs ~15 µs to define. Records are never
changed after ``__init__``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from operator import attrgetter


class Record:
    """Fields are the ``__init__`` parameters, in their order; each is a slot."""

    __slots__ = ()
    _fields: tuple[str, ...]
    _values: Callable[[Record], tuple]

    def __init_subclass__(cls) -> None:
        code = cls.__init__.__code__
        cls._fields = code.co_varnames[1 : code.co_argcount]
        if sorted(cls._fields) != sorted(cls.__slots__):
            raise TypeError(f"{cls.__name__}: __slots__ must name the __init__ parameters")
        getter = attrgetter(*cls._fields)  # a tuple of the values, given two fields or more
        if len(cls._fields) > 1:
            cls._values = lambda self: getter(self)
        else:
            cls._values = lambda self: (getter(self),)

    def __iter__(self) -> Iterator:
        return iter(self._values())

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __lt__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() < other._values()

    def __reduce__(self) -> tuple:
        # Pickled (to and from -j workers) as the class and the values, as a tuple would be.
        return (type(self), self._values())

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({values})"
