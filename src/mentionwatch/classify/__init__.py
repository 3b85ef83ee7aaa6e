"""Pure classifiers: relevance, sentiment, priority. No I/O, no database, no network."""
