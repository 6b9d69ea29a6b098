"""`backprop-sheet check`: grade students' own backprop workbooks, in whatever layout they chose."""
