"""The public JSON forms (docs/formats.md): snapshots and plans to and from text.

Pure: the standard library's ``json`` and the domain only. Parsing is strict and names the JSON
path of the first fault; dumping is deterministic, so the same value always gives the same bytes.
"""
