package exec

import "fmt"

func fmtSscanf(line string, auction, price *int64) (int, error) {
	return fmt.Sscanf(line, "q2> +I[%d, %d]", auction, price)
}
