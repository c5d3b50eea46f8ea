from services.matching.app import create_app
from shared.service import serve

serve("matching", create_app)
