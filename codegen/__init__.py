"""The build's Python: load and validate the catalog, find conflicts between
guides, load the heuristic signatures, and generate the C++ tables and the
port reference (`python3 -m codegen`). Standard library only (Python 3.11+).

  catalog.py         load, validate and resolve catalog/*.toml
  conflicts.py       disagreements between editions and guides
  signatures.py      load heuristics/signatures.toml and emit its C++ table
  ranking.py         the order of a port's documented uses (generator and CLI)
  tables.py          emit catalog_data.cpp and heuristics_data.cpp
  port_reference.py  emit the Markdown port reference
  wireshark.py       ciscouc-scan's model of stock Wireshark, from tshark -G decodes
                     and -G heuristic-decodes (python3 -m codegen.wireshark)
  cli.py             the `tools/catalog` command
"""
