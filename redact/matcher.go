package redact

// matcher finds whether a text contains any of a set of words, in one
// pass over the text: an Aho-Corasick automaton compiled to a full
// transition table. It ignores ASCII case and, like appendNormalized, the
// separators '-', '_' and '.' (a separator leaves the state as it is), so
// matching a text equals matching its normalized form.
//
// Every answer and request body goes through it, so the table is laid out
// for the step "state = next[state+byte]": a state is the offset of its
// row (its number times 256), and the states in which a word has ended
// are merged into one, found, that never leaves itself. A step is then one
// addition and one load, and a long text is read as four interleaved
// lanes (see matchLanes), whose steps do not wait on each other.
type matcher struct {
	next  []uint16 // next[s+c]: the state after state s reads the byte c
	found uint16   // the state after a word
	// depth[s>>8] is how many bytes of a word (separators not counted)
	// the state s has read: the length of the longest word prefix that
	// ends the text read so far.
	depth [256]uint8
}

// minLaneLen is the shortest part of a text worth a lane of its own: a
// lane costs a little at its end (see finish), which texts of up to 20
// bytes or so (names, most header values) do not win back; from 24 bytes
// on (a Date, a URL, any body) four lanes do (BenchmarkClueScan: about
// 2 ns a byte in one lane, under 0.8 in four, 0.5 on long bodies).
const minLaneLen = 6

// newMatcher compiles words (lowercase ASCII, or any bytes that are not
// letters or separators, at most 255 bytes long). It panics past 255
// states, which the package's fixed word lists never reach.
func newMatcher(words []string) *matcher {
	// The automaton is built as a trie of rows, then turned into the
	// table. 0 in a row means "no edge" until the links fill it in.
	rows := [][256]uint8{{}}
	accept := []bool{false}
	depth := []uint8{0}
	for _, w := range words {
		if len(w) > 255 {
			panic("redact: matcher word too long")
		}
		s := 0
		for i := 0; i < len(w); i++ {
			c := w[i]
			if rows[s][c] == 0 {
				if len(rows) == 255 {
					panic("redact: matcher too large")
				}
				rows = append(rows, [256]uint8{})
				accept = append(accept, false)
				depth = append(depth, depth[s]+1)
				rows[s][c] = uint8(len(rows) - 1)
			}
			s = int(rows[s][c])
		}
		accept[s] = true
	}
	// Failure links, breadth first, turning the trie into a full table.
	fail := make([]int, len(rows))
	queue := []int{}
	for c := range 256 {
		if t := int(rows[0][c]); t != 0 {
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		accept[s] = accept[s] || accept[fail[s]]
		for c := range 256 {
			t := int(rows[s][c])
			if t != 0 {
				fail[t] = int(rows[fail[s]][c])
				queue = append(queue, t)
				continue
			}
			rows[s][c] = rows[fail[s]][c]
		}
	}
	// Case and separators.
	for s := range rows {
		for c := 'A'; c <= 'Z'; c++ {
			rows[s][c] = rows[s][c+'a'-'A']
		}
		for _, c := range []byte{'-', '_', '.'} {
			rows[s][c] = uint8(s)
		}
	}
	// The table: row len(rows) is found. At most 256 rows, so every
	// offset fits in a uint16.
	n := len(rows)
	m := &matcher{next: make([]uint16, (n+1)*256), found: uint16(n << 8)}
	copy(m.depth[:], depth)
	for s := range rows {
		for c := range 256 {
			t := int(rows[s][c])
			if accept[t] {
				t = n
			}
			m.next[s<<8|c] = uint16(t << 8)
		}
	}
	for c := range 256 {
		m.next[n<<8|c] = m.found
	}
	return m
}

// match reports whether s contains one of the words.
func (m *matcher) match(s string) bool { return m.matchLanes(s, minLaneLen) }

// matchLanes is match, reading s in four lanes when each would have at
// least minLane bytes. Lane i starts in the start state at the start of
// the i-th quarter of s and finds every word that begins (with its first
// byte that is not a separator) in that quarter: the last one reads on to
// the end of s, the others on into the next quarter for as long as a word
// they began may still be under way (finish). The four steps of a round
// depend on nothing but their own lane, so they overlap in the processor
// instead of each waiting for the load before it. (The states are ints
// here: uint16 arithmetic on the chain of loads made each step slower.)
func (m *matcher) matchLanes(s string, minLane int) bool {
	q := len(s) / 4
	if q < minLane || q == 0 {
		return m.scan(s, 0)
	}
	a, b, c, d, ok := m.lanes(s, q)
	return ok || m.scan(s[4*q:], d) || m.finish(s[q:], a) || m.finish(s[2*q:], b) || m.finish(s[3*q:], c)
}

// lanes runs the four lanes over the quarters s[:q], s[q:2q], ... in
// step, and returns their states or, once one has found a word, ok. It is
// a function of its own so that its few variables all stay in registers.
func (m *matcher) lanes(s string, q int) (a, b, c, d int, ok bool) {
	t, found := m.next, int(m.found)
	s0, s1, s2, s3 := s[:q], s[q:2*q], s[2*q:3*q], s[3*q:4*q]
	for i := range len(s0) {
		a = int(t[a+int(s0[i])])
		b = int(t[b+int(s1[i])])
		c = int(t[c+int(s2[i])])
		d = int(t[d+int(s3[i])])
		if a == found || b == found || c == found || d == found {
			return 0, 0, 0, 0, true
		}
	}
	return a, b, c, d, false
}

// scan runs the automaton over s from the state st.
func (m *matcher) scan(s string, st int) bool {
	t, found := m.next, int(m.found)
	for i := 0; i < len(s); i++ {
		st = int(t[st+int(s[i])])
		if st == found {
			return true
		}
	}
	return false
}

// finish runs the automaton from st, the state of a lane that has reached
// s, where the next lane began, for as long as a word begun before s may
// still be under way: while st has read more of a word than the bytes of
// s it has read (separators not counted). Once it has not, the longest
// word prefix ending the text lies within s, and so does any word it may
// yet complete: the next lane finds those.
func (m *matcher) finish(s string, st int) bool {
	t, found := m.next, int(m.found)
	k := 0
	for i := 0; i < len(s) && int(m.depth[uint8(st>>8)]) > k; i++ {
		c := s[i]
		st = int(t[st+int(c)])
		if st == found {
			return true
		}
		if c != '-' && c != '_' && c != '.' {
			k++
		}
	}
	return false
}
