// Integration tests start silos, processes and databases: one test at a time keeps them honest
// on a 2-core machine (no test waits on another's load).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
