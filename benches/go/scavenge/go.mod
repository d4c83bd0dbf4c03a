module scavenge

go 1.19
