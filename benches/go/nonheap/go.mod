module nonheap

go 1.19
