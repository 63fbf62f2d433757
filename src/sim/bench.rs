//! `hallq bench estimates|load|crash`: benchmarks built on the simulator.
