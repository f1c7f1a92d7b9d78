"""Exports: analysis tables (`tabular`: csv, xlsx, parquet, md, json) and QDA projects."""
