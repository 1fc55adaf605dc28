"""The big-data track's shared helpers: CSV to Parquet in bounded memory, a DuckDB connection
with a memory budget, Spark sessions and a standalone Spark cluster on loopback, and the Java
check that Spark needs. Submodules import their engines lazily, so ``import labutils.bigdata``
is cheap and works without PySpark installed.
"""

from labutils.bigdata.duck import connect as duckdb_connect
from labutils.bigdata.java import JavaInfo, JavaUnavailableError, java_info, require_java
from labutils.bigdata.parquet import ConversionReport, csv_to_parquet
from labutils.bigdata.spark import resolve_master, spark_session, standalone_cluster

__all__ = ["ConversionReport", "JavaInfo", "JavaUnavailableError", "csv_to_parquet",
           "duckdb_connect", "java_info", "require_java", "resolve_master", "spark_session",
           "standalone_cluster"]
