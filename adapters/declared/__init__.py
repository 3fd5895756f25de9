"""Declared sources: any JSON webhook served from sources.yaml, verified and mapped with no code.

`load` reads the file strictly, `verify` checks HMAC, token or Basic credentials, `mapping`
turns a body into an `Event` with JMESPath expressions, and `live` keeps the declared set next
to the built-in senders, reloaded when the file changes.
"""
