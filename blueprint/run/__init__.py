"""A run end to end: the local run, the cloud's steps, the parallel evaluation and the outputs."""
