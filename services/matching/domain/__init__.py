"""Matching's pure logic: the vectorised profile index, the scoring of pairs with reasons,
and coalitions that cover a need; match documents and their answer checks (`matches`). No I/O
here."""
