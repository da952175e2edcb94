module github.com/flowplane/flowplane

go 1.26.8
