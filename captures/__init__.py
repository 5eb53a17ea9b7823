"""Capture building: captures/pcap.py (scapy builders for teaching and test
captures, payload builders for every protocol the plugin knows),
captures/raw.py (a fast struct-only writer for large captures),
captures/g711.py (G.711 mu-law), and captures/make_captures.py (the
committed teaching captures)."""
