# RFC 9457 problem details for every error answer of the app.
from pydantic import BaseModel

from vivace import FastAPI, HTTPException
from vivace.problems import ProblemDetail

app = FastAPI(problem_details=True)

balances = {"alice": 30}
prices = {"book": 50, "pen": 2}


class Purchase(BaseModel):
    account: str
    item: str


# Errors raised as usual become problem documents.
@app.get("/items/{name}")
async def read_item(name: str) -> dict[str, int]:
    if name not in prices:
        raise HTTPException(404, f"No item named {name!r}")
    return {"price": prices[name]}


# ProblemDetail: your own problem type, title and extension members.
class OutOfCredit(ProblemDetail):
    def __init__(self, balance: int, price: int, account: str) -> None:
        super().__init__(
            403,
            type="https://example.com/probs/out-of-credit",
            title="You do not have enough credit.",
            detail=f"Your current balance is {balance}, but that costs {price}.",
            balance=balance,
            accounts=[f"/accounts/{account}"],
        )


@app.post("/purchases", status_code=201)
async def purchase(order: Purchase) -> dict[str, int]:
    balance, price = balances.get(order.account, 0), prices[order.item]
    if balance < price:
        raise OutOfCredit(balance, price, order.account)
    balances[order.account] = balance - price
    return {"balance": balances[order.account]}
