"""`repchat bench`: how many visitors one machine serves, and what repchat adds."""
