package config_test

import (
	"fmt"

	"hotelrates/config"
)

// With no file, the service runs on the embedded default: the sandbox
// vendors in-process and a local archive.
func ExampleDefault() {
	c := config.Default()
	fmt.Println(c.Listen, c.Sandbox.Enabled)
	for _, v := range c.Vendors {
		fmt.Println(v.Name, v.Protocol)
	}
	// Output:
	// 127.0.0.1:8080 true
	// solo solo
	// bulk bulk
	// session session
	// amadeus amadeus
	// rapid rapid
	// hotelbeds hotelbeds
}

// Parse YAML with a secret taken from the environment; what is left out
// gets its default, or stays zero when the engine defaults it (here
// search.default_timeout, the engine's 5 s), and a misspelt key is an
// error naming its line.
func ExampleParse() {
	env := map[string]string{"BULK_SECRET": "s3cret"}
	c, err := config.Parse([]byte(`
listen: 127.0.0.1:9000
vendors:
  - name: bulk
    protocol: bulk
    base_url: https://bulk.example/api
    api_key: my-key
    secret: ${BULK_SECRET}
`), func(k string) string { return env[k] })
	if err != nil {
		panic(err)
	}
	v := c.Vendors[0]
	fmt.Println(c.Listen, c.Search.MaxTimeout, c.Search.DefaultTimeout)
	fmt.Println(v.Name, v.BaseURL, v.Secret == "s3cret")

	_, err = config.Parse([]byte("listen: 127.0.0.1:9000\nlog_levle: debug\nvendors: [{protocol: solo}]\n"), func(string) string { return "" })
	fmt.Println(err)
	// Output:
	// 127.0.0.1:9000 30s 0s
	// bulk https://bulk.example/api true
	// line 2: field log_levle not found at the top level; did you mean log_level?
}
