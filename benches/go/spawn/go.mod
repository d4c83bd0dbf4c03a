module spawn

go 1.19
