package bench

// rng is a SplitMix64 pseudo-random generator (Steele, Lea and Flood,
// 2014). Its output is fixed by its definition, so generated files do not
// change between Go releases.
type rng struct{ s uint64 }

func newRNG(seed uint64, stream uint64) *rng {
	r := &rng{s: seed ^ (stream * 0xd1b54a32d192ed03)}
	r.next() // decorrelate nearby seeds
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n); n must be positive. The tiny modulo
// bias does not matter for test data.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// chance returns true with probability p.
func (r *rng) chance(p float64) bool {
	return float64(r.next()>>11)/(1<<53) < p
}

// pick returns one element of s.
func pick[T any](r *rng, s []T) T { return s[r.intn(len(s))] }

const hexDigits = "0123456789abcdef"

// appendHex appends n random hexadecimal digits.
func (r *rng) appendHex(b []byte, n int) []byte {
	for n > 0 {
		x := r.next()
		for i := 0; i < 16 && n > 0; i++ {
			b = append(b, hexDigits[x&15])
			x >>= 4
			n--
		}
	}
	return b
}
