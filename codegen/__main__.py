"""python3 -m codegen: validate the catalog and write every generated table
and the port reference.

  python3 -m codegen --catalog DIR [--expect FILE ...] --heuristics FILE
                     --out-catalog F.cpp --out-heuristics F.cpp [--out-ports DIR]
"""
import sys

from codegen import tables

sys.exit(tables.main())
