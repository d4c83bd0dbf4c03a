module mapinsert

go 1.19
