"""The plugin API contracts, one module per API version side by side.

`v0_3` is the type-based contract of 2022 (source = 1, extractor = 2). What every contract shares
sits beside them: version rules (`versions`), the get_fields JSON (`fields`) and the order of calls
(`lifecycle`).
"""
