package bench

// CPUTime exposes cpuTime to the package's external tests.
var CPUTime = cpuTime
