package sqlite

import "testing"

// TestRowCacheWrites walks rowCache through the orders of reads and writes
// that decide whether a row may be stored or carried through a write.
func TestRowCacheWrites(t *testing.T) {
	has := func(t *testing.T, c *rowCache[string, string], k, want string) {
		t.Helper()
		v, _, ok := c.get(k)
		if want == "" && ok {
			t.Fatalf("%s cached as %q, want nothing", k, v)
		}
		if want != "" && v != want {
			t.Fatalf("%s cached as %q (%v), want %q", k, v, ok, want)
		}
	}
	set := func(to string) func(int, string) (string, bool) {
		return func(int, string) (string, bool) { return to, true }
	}
	t.Run("a read before a write of its row is not stored", func(t *testing.T) {
		var c rowCache[string, string]
		_, gen, _ := c.get("a")
		c.forget("a")
		c.put("a", "old", gen)
		has(t, &c, "a", "")
		c.put("b", "b1", gen) // a write of another row does not matter
		has(t, &c, "b", "b1")
	})
	t.Run("nor before a write of several rows", func(t *testing.T) {
		var c rowCache[string, string]
		_, gen, _ := c.get("a")
		c.forgetAll([]string{"b", "a"})
		c.put("a", "old", gen)
		has(t, &c, "a", "")
	})
	t.Run("nor before a write carried through", func(t *testing.T) {
		var c rowCache[string, string]
		_, gen, _ := c.get("a")
		c.update(c.generation(), []string{"a"}, set("new"))
		c.put("a", "old", gen)
		has(t, &c, "a", "")
	})
	t.Run("a write carries its change", func(t *testing.T) {
		var c rowCache[string, string]
		_, gen, _ := c.get("a")
		c.put("a", "a1", gen)
		w := c.generation()
		c.forget("b") // another row's write
		c.update(w, []string{"a"}, set("a2"))
		has(t, &c, "a", "a2")
	})
	t.Run("a write that ended on the row since forgets it", func(t *testing.T) {
		var c rowCache[string, string]
		_, gen, _ := c.get("a")
		c.put("a", "a1", gen)
		w1 := c.generation() // the earlier write noted its generation
		w2 := c.generation() // the later one too, then ended first
		c.update(w2, []string{"a"}, set("a3"))
		has(t, &c, "a", "a3")
		c.update(w1, []string{"a"}, set("a2"))
		has(t, &c, "a", "")
	})
	t.Run("invalidate makes every earlier read unstorable", func(t *testing.T) {
		var c rowCache[string, string]
		_, gen, _ := c.get("a")
		c.invalidate()
		c.put("a", "old", gen)
		has(t, &c, "a", "")
		w := gen
		c.put("b", "b1", c.generation())
		c.update(w, []string{"b"}, set("b2"))
		has(t, &c, "b", "")
	})
	t.Run("past maxWrittenKeys every earlier read is unstorable", func(t *testing.T) {
		var c rowCache[int, string]
		_, gen, _ := c.get(0)
		for k := 1; k <= maxWrittenKeys+1; k++ {
			c.forget(k)
		}
		c.put(0, "old", gen)
		if _, _, ok := c.get(0); ok {
			t.Fatal("stored a row read before the written keys were forgotten")
		}
		if len(c.written) > maxWrittenKeys {
			t.Fatalf("%d written keys kept", len(c.written))
		}
	})
}
