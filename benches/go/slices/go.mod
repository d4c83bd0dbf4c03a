module slices

go 1.19
