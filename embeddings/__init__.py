"""Vectors of entity texts (citizens, openings, employers) per encoder, kept up to date incrementally."""
