"""The paper account: balances, positions, activities and reset."""
