package eval

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"math/big"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/flowplane/flowplane/dataflow"
)

// likeFn is LIKE with % and _ wildcards and an optional escape character.
func likeFn(args []*Expr, t dataflow.LogicalType) (evalFn, error) {
	cache := map[string]*regexp.Regexp{}
	return strict(args, t, func(v []any) (any, error) {
		pat, esc := v[1].(string), ""
		if len(v) > 2 {
			esc = v[2].(string)
		}
		key := esc + "\x00" + pat
		re, ok := cache[key]
		if !ok {
			var err error
			if re, err = likeRegexp(pat, esc); err != nil {
				return nil, err
			}
			if len(cache) < 64 {
				cache[key] = re
			}
		}
		return re.MatchString(v[0].(string)), nil
	}), nil
}

func likeRegexp(pat, esc string) (*regexp.Regexp, error) {
	if utf8.RuneCountInString(esc) > 1 {
		return nil, fmt.Errorf("%w: LIKE escape must be one character, have '%s'", ErrEval, esc)
	}
	var b strings.Builder
	b.WriteString("(?s)^")
	escaped := false
	for _, r := range pat {
		switch {
		case escaped:
			b.WriteString(regexp.QuoteMeta(string(r)))
			escaped = false
		case esc != "" && string(r) == esc:
			escaped = true
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if escaped {
		return nil, fmt.Errorf("%w: LIKE pattern '%s' ends with the escape character", ErrEval, pat)
	}
	b.WriteString("$")
	return compileRegexp(b.String())
}

// regexps caches compiled patterns: queries pass the same literal pattern for every row.
var (
	regexps     sync.Map // pattern -> *regexp.Regexp
	regexpCount atomic.Int64
)

// maxCachedRegexps bounds the cache (patterns computed per row would otherwise grow it).
const maxCachedRegexps = 1024

func compileRegexp(pat string) (*regexp.Regexp, error) {
	if re, ok := regexps.Load(pat); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(pat)
	if err == nil && regexpCount.Load() < maxCachedRegexps {
		if _, loaded := regexps.LoadOrStore(pat, re); !loaded {
			regexpCount.Add(1)
		}
	}
	return re, err
}

// function compiles a named built-in function.
func (c *compiler) function(name string, args []*Expr, t dataflow.LogicalType) (evalFn, error) {
	if f, ok := c.special(name, args, t); ok {
		return f, nil
	}
	f, ok := stringFuncs[name]
	if !ok {
		f, ok = mathFuncs[name]
	}
	if !ok {
		f, ok = timeFuncs(args)[name]
	}
	if !ok {
		return nil, fmt.Errorf("%w: unknown function %s", ErrDecode, name)
	}
	return strict(args, t, f), nil
}

// special are the functions that are not NULL-strict or that read the environment.
func (c *compiler) special(name string, args []*Expr, t dataflow.LogicalType) (evalFn, bool) {
	now := func([]any) (any, error) { return c.env.Now().UnixMilli(), nil }
	switch name {
	case "CURRENT_TIMESTAMP", "NOW", "PROCTIME", "LOCALTIMESTAMP":
		return now, true
	case "CURRENT_DATE":
		return func([]any) (any, error) { return floorDiv(c.env.Now().UnixMilli(), msPerDay), nil }, true
	case "UNIX_TIMESTAMP":
		if len(args) == 0 {
			return func([]any) (any, error) { return c.env.Now().Unix(), nil }, true
		}
	case "RAND":
		return func([]any) (any, error) { return c.env.Rand.Float64(), nil }, true
	case "UUID":
		return func([]any) (any, error) {
			var b [16]byte
			for i := range b {
				b[i] = byte(c.env.Rand.IntN(256))
			}
			b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
			h := hex.EncodeToString(b[:])
			return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
		}, true
	}
	return c.nullAware(name, args, t)
}

// nullAware are the functions that look at NULL arguments instead of propagating them.
func (c *compiler) nullAware(name string, args []*Expr, t dataflow.LogicalType) (evalFn, bool) {
	switch name {
	case "COALESCE":
		return func(row []any) (any, error) {
			for _, a := range args {
				v, err := a.eval(row)
				if err != nil || v != nil {
					return conform(v, err, t)
				}
			}
			return nil, nil
		}, true
	case "IF":
		return func(row []any) (any, error) {
			cond, err := args[0].eval(row)
			if err != nil {
				return nil, err
			}
			branch := args[2]
			if cond == true {
				branch = args[1]
			}
			v, err := branch.eval(row)
			return conform(v, err, t)
		}, true
	case "NULLIF":
		return func(row []any) (any, error) {
			vals, _, err := evalArgs(args, row)
			if err != nil || vals[0] == nil {
				return nil, err
			}
			if vals[1] != nil {
				if c, err := compare(vals[0], vals[1]); err == nil && c == 0 {
					return nil, nil
				}
			}
			return vals[0], nil
		}, true
	case "CONCAT_WS":
		return func(row []any) (any, error) {
			vals, _, err := evalArgs(args, row)
			if err != nil || vals[0] == nil {
				return nil, err
			}
			var parts []string
			for _, v := range vals[1:] {
				if v != nil {
					parts = append(parts, v.(string))
				}
			}
			return strings.Join(parts, vals[0].(string)), nil
		}, true
	}
	return nil, false
}

// conform normalizes an evaluated value for t, passing errors and NULL through.
func conform(v any, err error, t dataflow.LogicalType) (any, error) {
	if err != nil || v == nil {
		return v, err
	}
	return normalize(v, t)
}

var stringFuncs = map[string]func(v []any) (any, error){
	"UPPER":            func(v []any) (any, error) { return strings.ToUpper(v[0].(string)), nil },
	"LOWER":            func(v []any) (any, error) { return strings.ToLower(v[0].(string)), nil },
	"TRIM":             func(v []any) (any, error) { return strings.Trim(v[0].(string), " "), nil },
	"LTRIM":            func(v []any) (any, error) { return strings.TrimLeft(v[0].(string), " "), nil },
	"RTRIM":            func(v []any) (any, error) { return strings.TrimRight(v[0].(string), " "), nil },
	"CHAR_LENGTH":      func(v []any) (any, error) { return int64(utf8.RuneCountInString(v[0].(string))), nil },
	"CHARACTER_LENGTH": func(v []any) (any, error) { return int64(utf8.RuneCountInString(v[0].(string))), nil },
	"CONCAT": func(v []any) (any, error) {
		var b strings.Builder
		for _, s := range v {
			b.WriteString(s.(string))
		}
		return b.String(), nil
	},
	"SUBSTRING": substring,
	"REPLACE": func(v []any) (any, error) {
		return strings.ReplaceAll(v[0].(string), v[1].(string), v[2].(string)), nil
	},
	"SPLIT_INDEX": func(v []any) (any, error) {
		parts := strings.Split(v[0].(string), v[1].(string))
		i := v[2].(int64)
		if i < 0 || i >= int64(len(parts)) {
			return nil, nil
		}
		return parts[i], nil
	},
	"REGEXP_EXTRACT": regexpExtract,
	"REGEXP_REPLACE": func(v []any) (any, error) {
		re, err := compileRegexp(v[1].(string))
		if err != nil {
			return nil, fmt.Errorf("%w: regular expression: %w", ErrEval, err)
		}
		return re.ReplaceAllString(v[0].(string), v[2].(string)), nil
	},
	"MD5": func(v []any) (any, error) {
		sum := md5.Sum([]byte(v[0].(string)))
		return hex.EncodeToString(sum[:]), nil
	},
	"HASH_CODE": func(v []any) (any, error) {
		h := fnv.New32a()
		h.Write([]byte(fmt.Sprint(v[0])))
		return int64(int32(h.Sum32())), nil
	},
}

// substring is SUBSTRING(s, start[, length]) with 1-based start, in characters.
func substring(v []any) (any, error) {
	r := []rune(v[0].(string))
	start := v[1].(int64) - 1
	if start < 0 {
		start = 0
	}
	if start >= int64(len(r)) {
		return "", nil
	}
	end := int64(len(r))
	if len(v) > 2 {
		if n := v[2].(int64); n < 0 {
			return nil, fmt.Errorf("%w: SUBSTRING length %d < 0", ErrEval, n)
		} else if start+n < end {
			end = start + n
		}
	}
	return string(r[start:end]), nil
}

func regexpExtract(v []any) (any, error) {
	re, err := compileRegexp(v[1].(string))
	if err != nil {
		return nil, fmt.Errorf("%w: regular expression: %w", ErrEval, err)
	}
	group := int64(1)
	if len(v) > 2 {
		group = v[2].(int64)
	}
	m := re.FindStringSubmatch(v[0].(string))
	if m == nil || group < 0 || group >= int64(len(m)) {
		return nil, nil
	}
	return m[group], nil
}

var mathFuncs = map[string]func(v []any) (any, error){
	"ABS": func(v []any) (any, error) {
		switch x := v[0].(type) {
		case int64:
			if x < 0 {
				return -x, nil
			}
			return x, nil
		case float64:
			return math.Abs(x), nil
		case *big.Rat:
			return new(big.Rat).Abs(x), nil
		}
		return nil, fmt.Errorf("%w: ABS of %T", ErrEval, v[0])
	},
	"FLOOR":   func(v []any) (any, error) { return roundTo(v[0], 0, math.Floor) },
	"CEIL":    func(v []any) (any, error) { return roundTo(v[0], 0, math.Ceil) },
	"CEILING": func(v []any) (any, error) { return roundTo(v[0], 0, math.Ceil) },
	"ROUND": func(v []any) (any, error) {
		digits := int64(0)
		if len(v) > 1 {
			digits = v[1].(int64)
		}
		return roundTo(v[0], int(digits), nil)
	},
	"POWER":    floatFn2(math.Pow),
	"SQRT":     floatFn(math.Sqrt),
	"LN":       floatFn(math.Log),
	"LOG10":    floatFn(math.Log10),
	"EXP":      floatFn(math.Exp),
	"GREATEST": func(v []any) (any, error) { return extreme(v, 1) },
	"LEAST":    func(v []any) (any, error) { return extreme(v, -1) },
}

func floatFn(f func(float64) float64) func(v []any) (any, error) {
	return func(v []any) (any, error) {
		x, _ := toFloat(v[0])
		return f(x), nil
	}
}

func floatFn2(f func(a, b float64) float64) func(v []any) (any, error) {
	return func(v []any) (any, error) {
		x, _ := toFloat(v[0])
		y, _ := toFloat(v[1])
		return f(x, y), nil
	}
}

func extreme(v []any, sign int) (any, error) {
	best := v[0]
	for _, x := range v[1:] {
		c, err := compare(x, best)
		if err != nil {
			return nil, err
		}
		if c*sign > 0 {
			best = x
		}
	}
	return best, nil
}

// roundTo rounds to digits decimal places: half-up for ROUND (f == nil), else with f.
func roundTo(v any, digits int, f func(float64) float64) (any, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		p := math.Pow(10, float64(digits))
		if f == nil {
			return math.Round(x*p) / p, nil
		}
		return f(x*p) / p, nil
	case *big.Rat:
		if f == nil {
			return roundRat(x, digits), nil
		}
		q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
		// QuoRem truncates toward zero: step down for FLOOR of negatives, up for CEIL of positives.
		ceil := f(0.5) == 1
		if m.Sign() != 0 && ceil == (x.Sign() > 0) {
			q.Add(q, big.NewInt(int64(x.Sign())))
		}
		return new(big.Rat).SetInt(q), nil
	}
	return nil, fmt.Errorf("%w: cannot round %T", ErrEval, v)
}

// timeFuncs are the date and time functions; args gives access to argument types.
func timeFuncs(args []*Expr) map[string]func(v []any) (any, error) {
	argType := func(i int) dataflow.LogicalType { return args[i].Type }
	part := func(unit string) func(v []any) (any, error) {
		field := extractFields[unit]
		return func(v []any) (any, error) { return field(timeOf(v[0].(int64), argType(0))), nil }
	}
	return map[string]func(v []any) (any, error){
		"DATE_FORMAT": func(v []any) (any, error) {
			ms, ok := v[0].(int64)
			if s, isStr := v[0].(string); isStr {
				parsed, err := castFromString(s, dataflow.Timestamp(3))
				if err != nil {
					return nil, nil
				}
				ms, ok = parsed.(int64), true
			}
			if !ok {
				return nil, fmt.Errorf("%w: DATE_FORMAT of %T", ErrEval, v[0])
			}
			return timeOf(ms, argType(0)).Format(javaLayout(v[1].(string))), nil
		},
		"TO_TIMESTAMP": func(v []any) (any, error) {
			layout := "2006-01-02 15:04:05.999999999"
			if len(v) > 1 {
				layout = javaLayout(v[1].(string))
			}
			tm, err := time.Parse(layout, v[0].(string))
			if err != nil {
				return nil, nil
			}
			return tm.UnixMilli(), nil
		},
		"TO_DATE": func(v []any) (any, error) {
			layout := "2006-01-02"
			if len(v) > 1 {
				layout = javaLayout(v[1].(string))
			}
			tm, err := time.Parse(layout, v[0].(string))
			if err != nil {
				return nil, nil
			}
			return floorDiv(tm.UnixMilli(), msPerDay), nil
		},
		"FROM_UNIXTIME": func(v []any) (any, error) {
			layout := "2006-01-02 15:04:05"
			if len(v) > 1 {
				layout = javaLayout(v[1].(string))
			}
			return time.Unix(v[0].(int64), 0).UTC().Format(layout), nil
		},
		"UNIX_TIMESTAMP": func(v []any) (any, error) {
			layout := "2006-01-02 15:04:05"
			if len(v) > 1 {
				layout = javaLayout(v[1].(string))
			}
			tm, err := time.Parse(layout, v[0].(string))
			if err != nil {
				return nil, nil
			}
			return tm.Unix(), nil
		},
		"TO_TIMESTAMP_LTZ": func(v []any) (any, error) {
			n, _ := toInt(v[0])
			if v[1].(int64) == 0 {
				return n * 1000, nil
			}
			return n, nil
		},
		"YEAR":       part("YEAR"),
		"MONTH":      part("MONTH"),
		"DAYOFMONTH": part("DAY"),
		"HOUR":       part("HOUR"),
		"MINUTE":     part("MINUTE"),
		"SECOND":     part("SECOND"),
	}
}

// layouts caches javaLayout's results: patterns are nearly always literals, and converting
// one per row was most of DATE_FORMAT's cost.
var (
	layouts      sync.Map // Java pattern -> Go layout
	layoutsSize  atomic.Int64
	maxLayoutsIn = int64(1024) // patterns computed per row cannot grow the cache without bound
)

// javaLayout converts a Java SimpleDateFormat pattern (yyyy-MM-dd HH:mm:ss.SSS) to a Go layout.
func javaLayout(p string) string {
	if l, ok := layouts.Load(p); ok {
		return l.(string)
	}
	l := convertLayout(p)
	if len(p) <= 64 && layoutsSize.Load() < maxLayoutsIn {
		if _, loaded := layouts.LoadOrStore(p, l); !loaded {
			layoutsSize.Add(1)
		}
	}
	return l
}

func convertLayout(p string) string {
	repl := []struct{ java, goLayout string }{
		{"yyyy", "2006"}, {"yy", "06"}, {"MMMM", "January"}, {"MMM", "Jan"}, {"MM", "01"},
		{"dd", "02"}, {"HH", "15"}, {"hh", "03"}, {"mm", "04"}, {"ss", "05"}, {"SSS", "000"},
		{"EEEE", "Monday"}, {"EEE", "Mon"}, {"a", "PM"}, {"M", "1"}, {"d", "2"}, {"H", "15"}, {"m", "4"}, {"s", "5"},
	}
	var b strings.Builder
	for i := 0; i < len(p); {
		if p[i] == '\'' {
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				b.WriteString(p[i+1:])
				break
			}
			b.WriteString(p[i+1 : i+1+j])
			i += j + 2
			continue
		}
		matched := false
		for _, r := range repl {
			if strings.HasPrefix(p[i:], r.java) {
				b.WriteString(r.goLayout)
				i += len(r.java)
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte(p[i])
			i++
		}
	}
	return b.String()
}
