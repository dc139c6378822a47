-- The ADO.NET providers of Orleans read every statement they run from this table
-- (query key -> query text). Later scripts register the queries of each provider.
-- The table and column names are fixed by the providers ("SELECT QueryKey, QueryText FROM OrleansQuery").
CREATE TABLE OrleansQuery
(
    QueryKey  varchar(64)   NOT NULL PRIMARY KEY,
    QueryText varchar(8000) NOT NULL
);
