package bench

import "time"

// MetricReporter is what ReportCPU needs of a *testing.B.
type MetricReporter interface {
	ReportMetric(n float64, unit string)
}

// ReportCPU reports the processor time used since start (a CPUTime value)
// over ops operations: cpu-ns/op, cpu-ns/finding when items (per
// operation) is positive, and cpu-MB/s when bytes (per operation) is.
// On a shared machine these say more than the wall-clock figures.
func ReportCPU(b MetricReporter, ops int, start time.Duration, items int, bytes int64) {
	cpu := float64(CPUTime()-start) / float64(max(ops, 1))
	if cpu <= 0 || ops <= 0 {
		return
	}
	b.ReportMetric(cpu, "cpu-ns/op")
	if items > 0 {
		b.ReportMetric(cpu/float64(items), "cpu-ns/finding")
	}
	if bytes > 0 {
		b.ReportMetric(float64(bytes)/cpu*1e3, "cpu-MB/s")
	}
}
