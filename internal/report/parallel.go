package report

import "github.com/cvetrail/cvetrail/internal/par"

// parallelMin is the number of findings from which Normalize and Encode
// spread their work over the cores; below it, starting goroutines costs
// more than it saves. Tests change it.
var parallelMin = 8192

func split(n int) []int { return par.Split(n, parallelMin) }

func parallel(bounds []int, fn func(i, lo, hi int)) { par.Do(bounds, fn) }

func sortParallel[T any](s []T, cmp func(a, b T) int) []T { return par.Sort(s, parallelMin, cmp) }
