"""De-duplication of the registry (查重): finding candidate pairs of people and establishments that
are the same real person or unit (疑似重复, ``DuplicateCandidate``) and settling them by review —
merged with history and audit kept, or marked distinct so they are never proposed again.

``detection`` finds and refreshes candidates (set-based and blocked), ``merging`` is the reviewed
merge, ``comparison`` lays a pair side by side for the reviewer, ``similarity`` says what a similar
address or unit name is."""
