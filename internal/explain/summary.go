package explain

import (
	"strconv"
	"strings"
)

func join(list, not []string, notPrefix string) string {
	if not != nil {
		return notPrefix + joinList(not)
	}
	return joinList(list)
}

func joinList(list []string) string { return strings.Join(list, ", ") }

func itoa(n int) string { return strconv.Itoa(n) }
